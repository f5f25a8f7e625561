"""Stand-in for gpiod.line (libgpiod v2): the enums the hardware helper uses."""
from enum import Enum


class Direction(Enum):
    AS_IS = 1
    INPUT = 2
    OUTPUT = 3


class Drive(Enum):
    PUSH_PULL = 1
    OPEN_DRAIN = 2
    OPEN_SOURCE = 3


class Bias(Enum):
    AS_IS = 1
    DISABLED = 3
    PULL_UP = 4
    PULL_DOWN = 5


class Value(Enum):
    INACTIVE = 0
    ACTIVE = 1
