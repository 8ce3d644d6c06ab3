import TestSupport

