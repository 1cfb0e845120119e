#include <fcntl.h>
#include <unistd.h>

int write_log(const char *path, int dir) {
    // ruleid: cwe-732-c-open-create-without-mode
    int a = open(path, O_WRONLY | O_CREAT | O_APPEND);
    // ok: cwe-732-c-open-create-without-mode
    int b = open(path, O_WRONLY | O_CREAT | O_APPEND, 0640);
    // ok: cwe-732-c-open-create-without-mode
    int c = open(path, O_RDONLY);
    // ruleid: cwe-732-c-open-create-without-mode
    int d = openat(dir, "state", O_CREAT|O_RDWR);
    // ok: cwe-732-c-open-create-without-mode
    int e = openat(dir, "state", O_CREAT|O_RDWR, 0600);
    // ok: cwe-732-c-open-create-without-mode
    int f = open(path, O_WRONLY | O_TRUNC);
    close(a);
    close(b);
    close(c);
    close(d);
    close(e);
    close(f);
    return 0;
}
