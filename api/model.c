#include "api/model.h"

const char *api_alert_state_name(enum api_alert_state s)
{
    switch (s) {
    case API_ALERT_UNKNOWN:
        return "unknown";
    case API_ALERT_INACTIVE:
        return "inactive";
    case API_ALERT_PENDING:
        return "pending";
    case API_ALERT_FIRING:
        return "firing";
    }
    return "unknown";
}

const char *api_rule_health_name(enum api_rule_health h)
{
    switch (h) {
    case API_HEALTH_UNKNOWN:
        return "unknown";
    case API_HEALTH_OK:
        return "ok";
    case API_HEALTH_ERR:
        return "err";
    }
    return "unknown";
}

const char *api_fresh_state_name(enum api_fresh_state s)
{
    switch (s) {
    case API_FRESH_UNKNOWN:
        return "unknown";
    case API_FRESH_FRESH:
        return "fresh";
    case API_FRESH_STALE:
        return "stale";
    case API_FRESH_HELD:
        return "held";
    }
    return "unknown";
}

const char *api_input_class_name(enum api_input_class c)
{
    switch (c) {
    case API_INPUT_FRESH:
        return "fresh";
    case API_INPUT_LATE:
        return "late";
    case API_INPUT_FROZEN:
        return "frozen";
    case API_INPUT_GONE:
        return "gone";
    }
    return "fresh";
}

const char *api_value_type_name(enum api_value_type t)
{
    switch (t) {
    case API_VALUE_VECTOR:
        return "vector";
    case API_VALUE_MATRIX:
        return "matrix";
    case API_VALUE_SCALAR:
        return "scalar";
    case API_VALUE_STRING:
        return "string";
    }
    return "vector";
}
