"""Pure matching logic: marks in text, brand images in listing images, counterfeit signals
and the risk score that combines them. Imports nothing else of markwatch."""
