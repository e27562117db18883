"""The HubSpot connector: object catalog, API client, rate limiting and sync."""
