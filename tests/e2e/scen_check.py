#!/usr/bin/env python3
"""scen_check.py: reads what an incident scenario left behind, for
tests/suites/scenarios_e2e.sh. Every answer is one line on stdout.

  scen_check.py am URL ALERTNAME [LABEL=VALUE...]
      the active alert in Alertmanager's v2 API: "<annotations JSON>" with
      startsAt, or "none"
  scen_check.py webhook FILE STATUS ALERTNAME [LABEL=VALUE...]
      the annotations (JSON, sorted keys) of the last notification with that
      status (firing|resolved) the webhook receiver recorded, or "none"
  scen_check.py count FILE STATUS ALERTNAME [LABEL=VALUE...]
      how many such notifications were recorded
  scen_check.py heed URL ALERTNAME [LABEL=VALUE...]
      heed's /api/v1/alerts: "<state>/<freshness state>", or "none"
  scen_check.py active-at URL ALERTNAME [LABEL=VALUE...]
      the activeAt heed's /api/v1/alerts gives the alert, or "none"
  scen_check.py health URL RULENAME
      the rule's health in heed's /api/v1/rules
"""
import json
import sys
import urllib.request


def get(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as r:
        return json.load(r)


def matches(labels, alertname, sel):
    if labels.get("alertname") != alertname:
        return False
    for kv in sel:
        k, v = kv.split("=", 1)
        if labels.get(k) != v:
            return False
    return True


def main():
    cmd = sys.argv[1]
    if cmd == "am":
        url, name, sel = sys.argv[2], sys.argv[3], sys.argv[4:]
        for a in get(url + "/api/v2/alerts"):
            if a["status"]["state"] == "active" and matches(a["labels"], name, sel):
                print(json.dumps(a.get("annotations", {}), sort_keys=True), a["startsAt"])
                return
        print("none")
    elif cmd in ("webhook", "count"):
        path, status, name, sel = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
        last, n = None, 0
        try:
            with open(path) as f:
                for line in f:
                    a = json.loads(line)
                    if a["status"] == status and matches(a["labels"], name, sel):
                        last, n = a, n + 1
        except OSError:
            pass
        if cmd == "count":
            print(n)
        else:
            print(json.dumps(last["annotations"], sort_keys=True) if last else "none")
    elif cmd == "heed":
        url, name, sel = sys.argv[2], sys.argv[3], sys.argv[4:]
        for a in get(url + "/api/v1/alerts")["data"]["alerts"]:
            if matches(a["labels"], name, sel):
                print("%s/%s" % (a["state"], a.get("freshness", {}).get("state", "?")))
                return
        print("none")
    elif cmd == "active-at":
        url, name, sel = sys.argv[2], sys.argv[3], sys.argv[4:]
        for a in get(url + "/api/v1/alerts")["data"]["alerts"]:
            if matches(a["labels"], name, sel):
                print(a["activeAt"])
                return
        print("none")
    elif cmd == "health":
        url, name = sys.argv[2], sys.argv[3]
        for g in get(url + "/api/v1/rules")["data"]["groups"]:
            for r in g["rules"]:
                if r["name"] == name:
                    print(r["health"])
                    return
        print("none")


if __name__ == "__main__":
    main()
