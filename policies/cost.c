/* hetsoc: the cost of a work item on a PU. */
#include <math.h>
#include <string.h>

#include "policies/cost.h"

static void fixed_time(hs_pred *out, double seconds)
{
    memset(out, 0, sizeof *out);
    out->body_s = out->latency_s = out->compute_s = seconds;
}

int hs_item_predict(const hs_hw *hw, const hs_item *item, int pu, hs_pred *out)
{
    if (item->ncosts > 0) {
        for (size_t i = 0; i < item->ncosts; i++)
            if (hs_hw_pu_find(hw, item->costs[i].pu) == pu) {
                fixed_time(out, item->costs[i].seconds);
                return 0;
            }
        return HS_PRED_CANNOT_RUN;
    }
    if (item->work > 0) {
        double t = hs_hw_work_s(hw, pu, item->work);
        if (!isfinite(t) || t < 0)
            return HS_PRED_CANNOT_RUN;
        fixed_time(out, t);
        return 0;
    }
    hs_err err;
    int rc = hs_hw_predict(hw, pu, &item->k, 0, out, &err);
    return rc == 0 ? 0 : HS_PRED_CANNOT_RUN;
}
