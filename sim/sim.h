/* hetsoc: public header of the sim/ layer (event kernel, random streams,
 * errors and configuration).  Other folders include only this file. */
#ifndef HS_SIM_H
#define HS_SIM_H

#include "sim/event.h"
#include "sim/rng.h"
#include "sim/conf.h"
#include "sim/phold.h"
#include "sim/bandwidth.h"
#include "sim/machine.h"

#endif
