#!/usr/bin/perl
# Sisimai (Debian 12: apt-get install libsisimai-perl, 4.25) over the files named on the
# command line, for bench/bench_bounce.py: one JSON line per file with what Sisimai reports
# ({"file", "results": [[address, reason, hard]]}, hard when softbounce is 0), then one line {"seconds": S}, the
# time Sisimai took over all files (the best of three passes, startup excluded).
use strict;
use warnings;
use Sisimai;
use JSON::PP;
use Time::HiRes qw(time);

my $json = JSON::PP->new->canonical;
my %out;
my $best;
for my $pass (1 .. 3) {
    my $start = time;
    for my $file (@ARGV) {
        my $data = Sisimai->make($file, delivered => 1, vacation => 1) || [];
        $out{$file} = [map { [$_->recipient->address, $_->reason, $_->softbounce == 0 ? 1 : 0] } @$data];
    }
    my $took = time - $start;
    $best = $took if !defined $best || $took < $best;
}
print $json->encode({file => $_, results => $out{$_}}), "\n" for @ARGV;
print $json->encode({seconds => $best}), "\n";
