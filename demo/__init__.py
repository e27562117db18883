"""The embedded demo CRM: a generated sales organisation served by local fake APIs.

`demo.org` generates the organisation (deterministic, seeded, with planted
behaviours); `demo.fake_salesforce` and `demo.fake_hubspot` serve it through the
real wire formats, so the real connectors and SDKs do the work; `demo.resources`
is the Dagster resource that stands in for a real CRM connection. Production code
(pipelines, connectors, expectations) never imports this package: `make lint`
checks it.
"""

# The generator's org sizes (demo.org.generator.SIZES), named here so that the CLI
# can offer them without loading the generator.
ORG_SIZES = ("tiny", "small", "medium", "large")
