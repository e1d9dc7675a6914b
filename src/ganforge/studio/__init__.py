"""The ganforge web studio (optional extra ``ganforge[studio]``): service.py (checks, plain functions) and app.py (gradio)."""
