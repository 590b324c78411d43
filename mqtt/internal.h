/* SPDX-License-Identifier: MIT */
/* Shared between the files of libplc_mqtt; not installed. */
#ifndef PLC_MQTT_INTERNAL_H
#define PLC_MQTT_INTERNAL_H

#include "plc-mqtt.h"

#endif
