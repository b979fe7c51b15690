"""Apply: execute the steps of a plan through the ModelArts API (`reconcile._apply.executor`)."""
