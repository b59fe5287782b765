#include "model/units.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(ParseSizeTest, BinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseSize("512Ki"), 512u * 1024);
  EXPECT_EQ(*ParseSize("256Mi"), 256u * 1024 * 1024);
  EXPECT_EQ(*ParseSize("256MiB"), 256u * 1024 * 1024);
  EXPECT_EQ(*ParseSize("2Gi"), 2ULL << 30);
  EXPECT_EQ(*ParseSize("1.5Gi"), 3ULL << 29);
  EXPECT_EQ(*ParseSize("100B"), 100u);
  EXPECT_EQ(*ParseSize("64KB"), 64000u);
  EXPECT_EQ(*ParseSize("3MB"), 3000000u);
  EXPECT_EQ(*ParseSize(" 1Ti "), 1ULL << 40);
  EXPECT_EQ(*ParseSize("0B"), 0u);
}

TEST(ParseSizeTest, RejectsWithAReason) {
  EXPECT_NE(ParseSize("256").status().message().find("needs a unit"), std::string::npos);
  EXPECT_NE(ParseSize("-1Mi").status().message().find("negative"), std::string::npos);
  EXPECT_NE(ParseSize("12Qi").status().message().find("unknown size unit 'Qi'"),
            std::string::npos);
  EXPECT_NE(ParseSize("Mi").status().message().find("expected a size"), std::string::npos);
  EXPECT_NE(ParseSize("0.5B").status().message().find("whole number of bytes"),
            std::string::npos);
  EXPECT_NE(ParseSize("99999999Ti").status().message().find("too large"), std::string::npos);
  EXPECT_FALSE(ParseSize("1..5Mi").ok());
  EXPECT_FALSE(ParseSize("").ok());
}

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDuration("1.5m"), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration("2h"), absl::Hours(2));
}

TEST(ParseDurationTest, Rejects) {
  EXPECT_NE(ParseDuration("10").status().message().find("needs a unit"), std::string::npos);
  EXPECT_NE(ParseDuration("10d").status().message().find("unknown duration unit 'd'"),
            std::string::npos);
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("31d").ok());
  EXPECT_NE(ParseDuration("800h").status().message().find("30 days"), std::string::npos);
}

TEST(FormatSizeTest, PerUnitNoiseIsAboutZero) {
  // Today's tables showed "external/unit -0.0259B": an interval across zero is "≈ 0".
  EXPECT_EQ(FormatSizeWithInterval(-0.0259, -26, 31), "≈ 0 (-26B–31B)");
  EXPECT_EQ(FormatSizeWithInterval(1024, 1000, 1048), "1Ki (1000B–1.02Ki)");
  EXPECT_EQ(FormatSizeWithInterval(512, 512, 512), "512B");
  // A cost not told from zero is still said beside the table's figure (capacity read
  // "heap ≈ 0 (-256B–3.91Ki)" under a table of 1.83Ki); one below zero is noise.
  EXPECT_EQ(FormatSizeWithInterval(1874.7, -256, 4005.7), "1.83Ki (-256B–3.91Ki)");
  EXPECT_EQ(FormatSizeWithInterval(-2239, -5120, 637), "≈ 0 (-5Ki–637B)");
}

TEST(FormatCountTest, ThousandsSeparators) {
  EXPECT_EQ(FormatCount(2360.4), "2,360");
  EXPECT_EQ(FormatCount(131221), "131,221");
  EXPECT_EQ(FormatCount(-20000), "-20,000");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1.5), "1.5");
}

TEST(FormatSizeTest, ExactSpellings) {
  EXPECT_EQ(FormatSize(256.0 * 1024 * 1024), "256Mi");
  EXPECT_EQ(FormatSize(1.5 * 1024 * 1024 * 1024), "1.5Gi");
  EXPECT_EQ(FormatSize(8190.0 * 1024), "8Mi");
  EXPECT_EQ(FormatSize(5608.0 * 1024), "5.48Mi");
  EXPECT_EQ(FormatSize(100), "100B");
  EXPECT_EQ(FormatSize(-2048), "-2Ki");
  EXPECT_EQ(FormatSize(1000000), "977Ki");
  EXPECT_EQ(FormatSize(2097155), "2Mi");
  EXPECT_EQ(FormatSize(1234567.0), "1.18Mi");
  EXPECT_EQ(FormatSize(7323.75 * 1024), "7.15Mi");
  EXPECT_EQ(FormatSize(0), "0B");
  EXPECT_EQ(FormatSize(1048575.9), "1Mi");
  EXPECT_EQ(FormatSize(1000.123 * 1048576), "1000Mi");
  EXPECT_EQ(FormatSize(0.5), "0.5B");
}

TEST(FormatShortDurationTest, Spellings) {
  EXPECT_EQ(FormatShortDuration(absl::Milliseconds(350)), "350ms");
  EXPECT_EQ(FormatShortDuration(absl::Milliseconds(1200)), "1.2s");
  EXPECT_EQ(FormatShortDuration(absl::Seconds(125)), "2m5s");
  EXPECT_EQ(FormatShortDuration(absl::Hours(24)), "24h");
  EXPECT_EQ(FormatShortDuration(absl::Minutes(5)), "5m");
}

}  // namespace
}  // namespace heapstorm
