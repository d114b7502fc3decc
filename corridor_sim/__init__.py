"""corridor-sim: a discrete-event simulator of freight transit on the Trans-Caspian (Middle Corridor) route."""

__version__ = "0.1.0"
