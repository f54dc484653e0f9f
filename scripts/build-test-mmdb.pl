#!/usr/bin/env perl
#
# build-test-mmdb.pl: builds the small GeoIP2-City-format database the tests
# use, from a TSV that is the single source of truth for it.
#
# Usage:
#   perl scripts/build-test-mmdb.pl [tsv] [out]
#
#   tsv  defaults to tests/data/geo-test.tsv
#   out  defaults to tests/data/geo-test.mmdb
#
# Needs MaxMind::DB::Writer (Debian/Ubuntu: apt-get install
# libmaxmind-db-writer-perl). Run it from the repository root after every edit
# of the TSV and commit both files: the unit tests in src/enrich/geo.rs check
# that every TSV row resolves in the committed .mmdb, so a TSV edited without
# regenerating fails them.
#
# TSV format: UTF-8, tab-separated, this exact header line:
#
#   network country_iso country_name city_name latitude longitude geoname_id
#
# - network: IPv4 or IPv6 CIDR. IPv4 networks are also reachable as
#   IPv4-mapped (::ffff:a.b.c.d), 6to4 and Teredo addresses through the
#   writer's aliases.
# - city_name may be empty: the record then has no "city" map, like a
#   country-level entry in GeoIP2-City.
# - latitude and longitude may both be empty: the record then has no
#   "location" map.
# - geoname_id is the GeoNames id of the most specific place on the row: the
#   city's, or the country's when city_name is empty. Country ids of rows with
#   a city come from %COUNTRY_GEONAME_ID below; an unknown country just gets
#   no geoname_id.
# - Blank lines and lines starting with '#' are ignored.
#
# The output is byte-for-byte reproducible: build_epoch is SOURCE_DATE_EPOCH
# when set, otherwise a fixed date, so regenerating from an unchanged TSV
# leaves git clean. The file is written beside its destination and renamed
# into place, so a running process that hot-reloads it never sees a torn file.

use strict;
use warnings;
use utf8;

use File::Basename qw(dirname);
use MaxMind::DB::Writer::Tree;

binmode STDOUT, ':encoding(UTF-8)';
binmode STDERR, ':encoding(UTF-8)';

my $tsv_path = shift @ARGV // 'tests/data/geo-test.tsv';
my $out_path = shift @ARGV // 'tests/data/geo-test.mmdb';
die "usage: $0 [tsv] [out]\n" if @ARGV;

# 2024-01-01T00:00:00Z; any fixed value works, it only has to not be "now".
my $build_epoch = $ENV{SOURCE_DATE_EPOCH} // 1_704_067_200;
die "SOURCE_DATE_EPOCH must be a non-negative integer\n"
    unless $build_epoch =~ /\A[0-9]+\z/;

my %COUNTRY_GEONAME_ID = (
    BR => 3469034,
    CH => 2658434,
    DE => 2921044,
    FR => 3017382,
    GB => 2635167,
    JP => 1861060,
    NL => 2750405,
    US => 6252001,
);

my @COLUMNS = qw(network country_iso country_name city_name latitude longitude geoname_id);

# The writer refuses to guess MMDB types, and a key it cannot type aborts the
# whole build, so every key that can appear in a record is listed here.
my %KEY_TYPES = (
    country    => 'map',
    city       => 'map',
    location   => 'map',
    names      => 'map',
    en         => 'utf8_string',
    iso_code   => 'utf8_string',
    geoname_id => 'uint32',
    latitude   => 'double',
    longitude  => 'double',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    database_type => 'GeoIP2-City',
    description   => { en => 'sharetrail test geolocation database (documentation and private ranges only)' },
    languages     => ['en'],
    ip_version    => 6,
    record_size   => 28,
    # Everything in the TSV is reserved/documentation space on purpose, so
    # tests never depend on real allocations; the default would drop it all.
    remove_reserved_networks => 0,
    # Makes ::ffff:0:0/96 (and 6to4/Teredo) point at the IPv4 subtree, as in
    # MaxMind's own databases, so mapped addresses resolve like plain IPv4.
    alias_ipv6_to_ipv4 => 1,
    map_key_type_callback => sub {
        my $key = shift;
        return $KEY_TYPES{$key} // die "no MMDB type for map key '$key'\n";
    },
    # Private attribute, but the only way to pin build_epoch; the writer's own
    # tests set it the same way to get comparable output.
    _build_epoch => $build_epoch,
);

open my $in, '<:encoding(UTF-8)', $tsv_path
    or die "cannot open $tsv_path: $!\n";

my $header = <$in>;
die "$tsv_path is empty\n" unless defined $header;
$header =~ s/\r?\n\z//;
$header =~ s/\A\x{FEFF}//;
die "$tsv_path: header must be '" . join("\t", @COLUMNS) . "'\n"
    unless $header eq join("\t", @COLUMNS);

my %seen_network;
my $rows = 0;
while (my $line = <$in>) {
    $line =~ s/\r?\n\z//;
    next if $line =~ /\A\s*(?:#|\z)/;

    my $where = "$tsv_path line $.";
    # -1 keeps trailing empty fields, otherwise a row ending in empty columns
    # would be reported as short.
    my @fields = split /\t/, $line, -1;
    die "$where: expected " . scalar(@COLUMNS) . " tab-separated fields, got " . scalar(@fields) . "\n"
        unless @fields == @COLUMNS;
    my %row;
    @row{@COLUMNS} = map { s/\A\s+|\s+\z//gr } @fields;

    my $network = $row{network};
    die "$where: network '$network' is not CIDR\n"
        unless $network =~ m{\A[0-9A-Fa-f:.]+/[0-9]{1,3}\z};
    die "$where: network $network listed twice\n" if $seen_network{ lc $network }++;

    my $iso = $row{country_iso};
    die "$where: country_iso '$iso' is not two upper-case letters\n"
        unless $iso =~ /\A[A-Z]{2}\z/;
    die "$where: country_name is empty\n" unless length $row{country_name};

    my $geoname_id = $row{geoname_id};
    die "$where: geoname_id '$geoname_id' is not a positive integer\n"
        unless $geoname_id =~ /\A[1-9][0-9]*\z/ && $geoname_id <= 4_294_967_295;

    my %country = (iso_code => $iso, names => { en => $row{country_name} });
    my %record = (country => \%country);

    if (length $row{city_name}) {
        $record{city} = { geoname_id => 0 + $geoname_id, names => { en => $row{city_name} } };
        $country{geoname_id} = $COUNTRY_GEONAME_ID{$iso} if exists $COUNTRY_GEONAME_ID{$iso};
    }
    else {
        $country{geoname_id} = 0 + $geoname_id;
    }

    my ($lat, $lon) = @row{qw(latitude longitude)};
    if (length $lat || length $lon) {
        for my $pair ([latitude => $lat, 90], [longitude => $lon, 180]) {
            my ($name, $value, $limit) = @$pair;
            die "$where: $name '$value' is not a number in [-$limit, $limit]\n"
                unless $value =~ /\A-?[0-9]+(?:\.[0-9]+)?\z/ && abs($value) <= $limit;
        }
        $record{location} = { latitude => 0 + $lat, longitude => 0 + $lon };
    }

    # insert_network dies on malformed CIDRs and on aliased ranges; say which
    # row caused it rather than pointing into the writer's internals.
    eval { $tree->insert_network($network, \%record); 1 }
        or die "$where: cannot insert $network: $@";
    $rows++;
}
close $in or die "cannot read $tsv_path: $!\n";
die "$tsv_path has no data rows\n" unless $rows;

my $dir = dirname($out_path);
die "output directory $dir does not exist\n" unless -d $dir;
my $tmp_path = "$out_path.tmp.$$";
my $written = eval {
    open my $out, '>:raw', $tmp_path or die "cannot write $tmp_path: $!\n";
    $tree->write_tree($out);
    close $out or die "cannot write $tmp_path: $!\n";
    rename $tmp_path, $out_path or die "cannot rename $tmp_path to $out_path: $!\n";
    1;
};
unless ($written) {
    my $err = $@;
    unlink $tmp_path;
    die $err;
}

print "wrote $out_path ($rows networks from $tsv_path)\n";
