#!/usr/bin/perl
# Opt-out list: a customer who writes STOP (or UNSUBSCRIBE, CANCEL, QUIT) is added to
# $COREGATE_STATE_DIR/opted-out.txt, one WhatsApp id a line (the phone number, else the user id
# of a customer known only by a username), and START takes them off again.
# Whatever sends your campaigns reads that file first.
#
# Running it twice on one event changes nothing, so redelivery is harmless.
use strict;
use warnings;
use Fcntl ':flock';
use JSON::PP;

my $event = decode_json(do { local $/; <STDIN> });
my $word  = uc($event->{message}{text} // '') =~ s/^\s+|[\s.!]+$//gr;
my $wa_id = $event->{contact}{wa_id} // $event->{contact}{user_id};
my $file  = "$ENV{COREGATE_STATE_DIR}/opted-out.txt";

# Handlers run side by side (the tenant's `concurrency`): one at a time in the file, please.
open my $lock, '>>', "$file.lock" or die "cannot open $file.lock: $!\n";
flock $lock, LOCK_EX or die "cannot lock $file.lock: $!\n";
my %out;
if (open my $in, '<', $file) { chomp(my @ids = <$in>); @out{@ids} = () }
if ($word =~ /^(STOP|UNSUBSCRIBE|CANCEL|QUIT)$/) { $out{$wa_id} = () }
elsif ($word eq 'START') { delete $out{$wa_id} }
else { exit 0 }

# A new file renamed over the old one: a reader never sees half of it.
open my $tmp, '>', "$file.$$" or die "cannot write $file.$$: $!\n";
print $tmp map { "$_\n" } sort keys %out;
close $tmp or die "cannot write $file.$$: $!\n";
rename "$file.$$", $file or die "cannot replace $file: $!\n";
print STDERR "$wa_id ", ($word eq 'START' ? 'opted back in' : 'opted out'), "\n";
