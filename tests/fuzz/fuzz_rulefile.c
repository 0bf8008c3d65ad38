/* libFuzzer target: the YAML rule-file loader (ynode, yaml.v3 decoding,
 * validation with the PromQL parser and the template checker). Any input
 * must give a verdict without crashing, leaking or running away. */
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "rules/rulefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct rulefile rf;
    rulefile_parse(&rf, "fuzz.yml", (const char *)data, size, NULL, &dl);
    rulefile_release(&rf);
    diag_list_release(&dl);
    return 0;
}
