#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char *argv[]) {
    const char* message = "Hello";
    char buffer[256];
    // ruleid: cwe-119-c-copy-beyond-source
    memcpy(buffer, message, sizeof(buffer));
    // ok: cwe-119-c-copy-beyond-source
    memcpy(buffer, message, strlen(message) + 1);
    // ruleid: cwe-119-c-copy-beyond-source
    memcpy(buffer, message, 256);
    // ok: cwe-119-c-copy-beyond-source
    memcpy(buffer, message, 6);
    printf("%s\n", buffer);
    return 0;
}
