"""Columns and the head table of the keyed audit chain (docs/audit.md); 0004 fills them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="链上序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_epoch",
            field=models.PositiveIntegerField(default=1, verbose_name="密钥代号"),
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("chain", models.CharField(max_length=32, verbose_name="审计链标识")),
                ("seq", models.BigIntegerField(default=0, verbose_name="最新序号")),
                ("hash", models.CharField(max_length=64, verbose_name="最新哈希")),
                ("key_epoch", models.PositiveIntegerField(default=0, verbose_name="最新密钥代号")),
            ],
            options={
                "verbose_name": "审计链头",
                "verbose_name_plural": "审计链头",
                "default_permissions": (),
            },
        ),
    ]
