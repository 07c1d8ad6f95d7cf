"""The Rasa server as the front door runs it (`python -m rasa_server run ...`): Rasa's own command line with
the parse cache installed. Serving only: nothing here is a training input, so a change retrains nothing."""
