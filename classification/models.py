"""The finance core system's code lists, versioned by budget year: 支出功能分类,
政府预算 and 部门预算支出经济分类, 资金性质 and 资金来源. Admins import them from Excel
(``classification.importing``); projects carry one code of each (``projects.Project``)."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeKind(models.TextChoices):
    FUNCTIONAL = "functional", _("Functional classification of expenditure")
    ECONOMIC_GOVERNMENT = "economic_government", _("Economic classification (government budget)")
    ECONOMIC_DEPARTMENT = "economic_department", _("Economic classification (department budget)")
    FUND_TYPE = "fund_type", _("Fund type")
    FUND_SOURCE = "fund_source", _("Fund source")


CODE_VALIDATOR = RegexValidator(
    r"\A[0-9A-Za-z]{1,20}\Z", _("Use 1 to 20 letters or digits, e.g. 2010150.")
)


class ClassificationCode(models.Model):
    kind = models.CharField(_("code list"), max_length=30, choices=CodeKind.choices)
    year = models.PositiveSmallIntegerField(_("budget year"))
    code = models.CharField(_("code"), max_length=20, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("classification code")
        verbose_name_plural = _("classification codes")
        ordering = ["kind", "-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "code"], name="one_code_per_list_year")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
