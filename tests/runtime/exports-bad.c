/* SPDX-License-Identifier: MIT */
/*
 * A shared library that breaks libplc's export rule twice, for
 * test-exports.sh to show that it catches both: a symbol without the plc_
 * prefix, and a plc_ symbol no public header declares.
 */
#define EXPORT __attribute__((visibility("default")))

EXPORT int helper(void);
EXPORT int plc_undeclared(void);
int hidden_one(void); /* hidden by the preset: not a stray */

int helper(void)
{
    return 1;
}

int plc_undeclared(void)
{
    return 2;
}

int hidden_one(void)
{
    return 3;
}
