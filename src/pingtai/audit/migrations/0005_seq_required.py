"""Every event has its place in the chain (filled by 0004)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_rechain_with_key")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="链上序号"),
        ),
    ]
