import factory
from django.conf import settings

from accounts.models import Organization, Role, UnitLevel, User


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"UNIT{n:03d}")
    name = factory.Sequence(lambda n: f"测试预算单位{n:03d}")
    level = UnitLevel.PRIMARY


class SecondaryUnitFactory(OrganizationFactory):
    level = UnitLevel.SECONDARY
    parent = factory.SubFactory(OrganizationFactory)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:03d}")
    organization = factory.SubFactory(OrganizationFactory)
    roles = factory.LazyFunction(lambda: [Role.SUBMITTER])
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def save_password(user: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            user.save(update_fields=["password"])
