from bot.sandbox import ESTATE, HOME_REGION, build_sandbox


def test_sandbox_seeds_a_realistic_estate():
    settings, services, aws = build_sandbox()
    try:
        assert settings.sandbox and settings.aws_endpoint_url == aws.endpoint_url
        home = services.ec2(HOME_REGION).describe_images(Owners=["self"])["Images"]
        by_name = {i["Name"]: i for i in home}
        assert set(by_name) == {i.name for i in ESTATE}
        assert by_name["batch-worker-2026.11.23"]["State"] == "pending"
        assert by_name["legacy-app-2024.03.01"]["DeprecationTime"].startswith("2025-03-01")
        copies = services.ec2("eu-west-1").describe_images(Owners=["self"])["Images"]
        web = next(i for i in copies if i["Name"] == "web-base-2026.11.20")
        assert web["SourceImageId"] == by_name["web-base-2026.11.20"]["ImageId"]
        assert web["SourceImageRegion"] == HOME_REGION
        services.redis.set("k", "v")
        assert services.redis.get("k") == b"v"
    finally:
        aws.stop()
