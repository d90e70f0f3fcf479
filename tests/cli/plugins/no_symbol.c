/* A shared library without the plugin symbol: hetsoc must refuse it. */
int hs_not_a_policy(void) { return 42; }
