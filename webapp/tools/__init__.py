"""The six tools, their single routing point, and the providers behind them."""

from webapp.tools.registry import TOOLS, default_tool_map, run_lead_tool
from webapp.tools.services import ToolServices, default_services, services_of

__all__ = [
    "TOOLS",
    "ToolServices",
    "default_services",
    "default_tool_map",
    "run_lead_tool",
    "services_of",
]
