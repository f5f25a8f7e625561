"""Makes `import spidev` fail, as on a system without the module, even where it is installed."""
raise ModuleNotFoundError("No module named 'spidev'", name="spidev")
