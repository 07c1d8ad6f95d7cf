"""The Rasa server as the front door runs it (`python -m rasa_server run ...`): Rasa's own command line with
the speed-ups listed in __main__.py installed, and the tracker store endpoints.yml names. Serving only:
nothing here is a training input, so a change retrains nothing."""
