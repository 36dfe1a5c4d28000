"""Demo-only parts: the simulator's data models, the demo warehouse and the embedded broker."""
