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

// A comparison that can never be true is no range check: an int is never above INT_MAX.
int dead_upper_check(int argc, char *argv[]) {
    int value = atoi(argv[1]);
    if (value > INT_MAX) {
        return 1;
    }
    // ruleid: cwe-190-c-input-arithmetic
    return value + 100000000;
}

int dead_bounds_both_ways(const char *text) {
    long count = strtol(text, NULL, 10);
    if (count < LONG_MIN || LONG_MAX < count) {
        return -1;
    }
    // ruleid: cwe-190-c-input-arithmetic
    count *= 4;
    return (int)count;
}

int dead_cast_limit(const char *text) {
    int size = atoi(text);
    if (size > (int)INT_MAX) {
        return 0;
    }
    // ruleid: cwe-190-c-input-arithmetic
    size = size * 8;
    return size;
}

int dead_check_and_headroom_check(const char *text) {
    int value = atoi(text);
    if (value > INT_MAX) {
        return 1;
    }
    if (value > INT_MAX / 8) {
        return 1;
    }
    // ok: cwe-190-c-input-arithmetic
    return value * 8;
}

int edge_check_with_equality(const char *text) {
    int value = atoi(text);
    if (value >= INT_MAX) {
        return 1;
    }
    // ok: cwe-190-c-input-arithmetic
    return value + 1;
}

int headroom_check_written_backwards(const char *text) {
    int delta = atoi(text);
    if (INT_MAX - 10 < delta) {
        return 1;
    }
    // ok: cwe-190-c-input-arithmetic
    return delta + 10;
}
