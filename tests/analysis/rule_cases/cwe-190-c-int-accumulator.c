#include <stdio.h>
#include <stdlib.h>

extern int getMonthlySales(int month);

int main(int argc, char *argv[]) {
    int sum = 0;
    for (int i = 0; i < 3; i++) {
        // ruleid: cwe-190-c-int-accumulator
        sum += getMonthlySales(i);
    }
    long long total = 0;
    for (int i = 0; i < 3; i++) {
        // ok: cwe-190-c-int-accumulator
        total += getMonthlySales(i);
    }
    printf("%d %lld\n", sum, total);
    return 0;
}
