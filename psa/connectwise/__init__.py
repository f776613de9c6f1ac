"""ConnectWise PSA wire details: the conditions builder, the HTTP client and JSON -> DTO mapping.

``psa.providers.connectwise.ConnectWiseProvider`` puts them together behind ``PSAProvider``.
"""
