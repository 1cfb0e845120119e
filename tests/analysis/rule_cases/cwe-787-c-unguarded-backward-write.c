#include <ctype.h>
#include <stdio.h>
#include <string.h>

void trim(char *input) {
    int len = strlen(input);
    // ruleid: cwe-787-c-unguarded-backward-write
    while (isspace(input[len - 1])) {
        input[len - 1] = '\0';
        len--;
    }
}

void trimChecked(char *input) {
    int len = strlen(input);
    // ok: cwe-787-c-unguarded-backward-write
    while (len > 0 && isspace(input[len - 1])) {
        input[len - 1] = '\0';
        len--;
    }
}
