#include <stdio.h>

#define BUFFER_SIZE 1024

int main() {
    char buffer[BUFFER_SIZE];
    // ruleid: cwe-676-c-gets
    gets(buffer);
    // ok: cwe-676-c-gets
    fgets(buffer, BUFFER_SIZE, stdin);
    return 0;
}
