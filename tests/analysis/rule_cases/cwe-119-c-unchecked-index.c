#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[]) {
    char *vehicles[] = {"boat", "car", "truck", "train"};
    int index;
    printf("Enter the index of a vehicle: ");
    scanf("%d", &index);
    // ruleid: cwe-119-c-unchecked-index
    printf("%s\n", vehicles[index]);
    if (index < 0 || index > 3) {
        return 1;
    }
    // ok: cwe-119-c-unchecked-index
    printf("%s\n", vehicles[index]);
    return 0;
}
