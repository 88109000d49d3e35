"""Build the summaries of the data already in the database (docs/dashboard.md, "Summaries")."""

from django.db import migrations


def build(apps, schema_editor):
    from pingtai.summaries.services import migration_models, summaries_rebuild

    summaries_rebuild(migration_models(apps))


class Migration(migrations.Migration):
    dependencies = [("summaries", "0001_summaries")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
