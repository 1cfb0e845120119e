#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char *argv[]) {
    char* file = "config.txt";
    // ruleid: cwe-732-c-world-writable
    int fd = open(file, O_CREAT | O_WRONLY, 0666);
    // ok: cwe-732-c-world-writable
    int safe = open(file, O_CREAT | O_WRONLY, 0600);
    // ruleid: cwe-732-c-world-writable
    chmod(file, S_IRWXU | S_IRWXG | S_IRWXO);
    // ok: cwe-732-c-world-writable
    chmod(file, 0644);
    close(fd);
    close(safe);
    return 0;
}
