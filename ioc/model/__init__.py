"""Plain data that services produce and widgets and pages consume: no store, no Dash."""
