#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int returnChunkSize(int* chunk) {
    if (chunk == NULL) {
        return -1;
    }
    return (int)chunk[0];
}

int main(int argc, char *argv[]) {
    int *chunk = malloc(sizeof(int) * 10);
    int *chunk2 = malloc(sizeof(int) * 10);
    int size = 0;
    // ruleid: cwe-787-c-unchecked-copy-size
    memcpy(chunk2, chunk, returnChunkSize(chunk) * sizeof(int));
    size = returnChunkSize(chunk);
    // ruleid: cwe-787-c-unchecked-copy-size
    memcpy(chunk2, chunk, size * sizeof(int));
    return 0;
}

int copyChecked(int *chunk, int *chunk2) {
    int size = returnChunkSize(chunk);
    if (size < 0 || size > 10) {
        return -1;
    }
    // ok: cwe-787-c-unchecked-copy-size
    memcpy(chunk2, chunk, size * sizeof(int));
    // ok: cwe-787-c-unchecked-copy-size
    memcpy(chunk2, chunk, strlen((char *)chunk));
    return 0;
}
