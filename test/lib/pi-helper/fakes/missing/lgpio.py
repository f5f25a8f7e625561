"""Makes `import lgpio` fail, as on a system without the module, even where it is installed."""
raise ModuleNotFoundError("No module named 'lgpio'", name="lgpio")
