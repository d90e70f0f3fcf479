/* A library whose plugin symbol is a function, not an ops table: hetsoc
 * must refuse it without reading the function's code as data. */
char hs_policy_plugin(void);
char hs_policy_plugin(void) { return 1; }
