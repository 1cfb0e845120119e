#include <stdio.h>
#include <stdlib.h>
#include <limits.h>

int main(int argc, char *argv[]) {
    int value = 0;
    if (argc > 1) {
        value = atoi(argv[1]);
    }
    // ruleid: cwe-190-c-input-arithmetic
    value += 100000000;
    printf("%d\n", value);
    return 0;
}

int checked(int argc, char *argv[]) {
    int value = atoi(argv[1]);
    if (value > INT_MAX - 100000000) {
        return 1;
    }
    // ok: cwe-190-c-input-arithmetic
    value += 100000000;
    // ok: cwe-190-c-input-arithmetic
    int other = argc + 1;
    return value + other;
}
