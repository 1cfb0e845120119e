#include <stdio.h>
#include <stdlib.h>

typedef struct {
    char name[100];
    int status;
} Person;

int main(int argc, char *argv[]) {
    Person* person = (Person*)malloc(sizeof(Person));
    // ruleid: cwe-476-c-unchecked-allocation
    person->status = 0;
    Person* checked = (Person*)malloc(sizeof(Person));
    if (checked == NULL) {
        return 1;
    }
    // ok: cwe-476-c-unchecked-allocation
    checked->status = 0;
    char* buf = malloc(1024);
    // ruleid: cwe-476-c-unchecked-allocation
    fgets(buf, 100, stdin);
    char* other = malloc(1024);
    if (other != NULL) {
        // ok: cwe-476-c-unchecked-allocation
        fgets(other, 100, stdin);
    }
    return 0;
}
