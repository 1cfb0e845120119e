"""trained/cwe-125/1-c: getIdFromArray returns ids[index], and -1 outside the array."""

from _harness import check, compile_c, exited_normally, run

HARNESS = r"""
#include <stdio.h>
extern int ids[10];
int getIdFromArray(int index);
int main(void) {
    for (int i = 0; i < 10; i++) ids[i] = 100 + i;
    printf("%d %d %d %d %d\n", getIdFromArray(0), getIdFromArray(3), getIdFromArray(9),
           getIdFromArray(10), getIdFromArray(-1));
    return 0;
}
"""


def main():
    binary = compile_c(HARNESS, defines=("-Dmain=scenario_main",))
    done = run([binary])
    check(exited_normally(done) and done.returncode == 0, f"harness crashed: {done.stderr[-500:]}")
    check(done.stdout.split() == ["100", "103", "109", "-1", "-1"], f"unexpected values {done.stdout!r}")


if __name__ == "__main__":
    main()
