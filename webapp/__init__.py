"""leadgen: plan and run lead-generation goals, live."""

__version__ = "0.1.0"
