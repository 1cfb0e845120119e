#include <stdio.h>
#include <stdlib.h>

#define IDS_ARRAY_SIZE 10
int ids[IDS_ARRAY_SIZE];

int getValueFromArray(int* array, int size, int index) {
    if (index < size) {
        // ruleid: cwe-125-c-unchecked-index
        return array[index];
    }
    return -1;
}

int getValueChecked(int* array, int size, int index) {
    if (index < 0 || index >= size) {
        return -1;
    }
    // ok: cwe-125-c-unchecked-index
    return array[index];
}

int getIdFromArray(int index) {
    if (index >= 0 && index < IDS_ARRAY_SIZE) {
        // ok: cwe-125-c-unchecked-index
        return ids[index];
    }
    return -1;
}

int main(int argc, char *argv[]) {
    int id_sequence[3] = {1, 5, 7};
    int i;
    scanf("%d", &i);
    // ruleid: cwe-125-c-unchecked-index
    printf("%d\n", id_sequence[i]);
    // ok: cwe-125-c-unchecked-index
    printf("%d\n", id_sequence[0]);
    return 0;
}

int sumFirst(unsigned int count, int *values) {
    // ok: cwe-125-c-unchecked-index
    return values[count];
}
