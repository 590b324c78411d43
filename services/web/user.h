/* SPDX-License-Identifier: MIT */
/* plc-web user add|del (user.c). */
#ifndef PLC_WEB_USER_H
#define PLC_WEB_USER_H

/* argv[0] is "user"; the exit status (0, 1 failed, 2 usage). */
int plc_web_user_main(int argc, char **argv);

#endif
