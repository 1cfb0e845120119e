#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[]) {
    int buffer_size = atoi(argv[1]);
    char *buffer = (char *)malloc(buffer_size);
    // ok: cwe-416-c-use-after-free
    buffer[0] = 'a';
    free(buffer);
    // ruleid: cwe-416-c-use-after-free
    buffer[0] = 'b';
    // ruleid: cwe-416-c-use-after-free
    printf("%s\n", buffer);
    return 0;
}

int reuse(int argc, char *argv[]) {
    char *buffer = (char *)malloc(16);
    free(buffer);
    buffer = (char *)malloc(32);
    // ok: cwe-416-c-use-after-free
    buffer[0] = 'c';
    return 0;
}
