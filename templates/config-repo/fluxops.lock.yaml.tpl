# FluxOps image lock: the images this fleet runs, one entry per image policy.
# Written by image automation and read by synthesis; edit by hand only to roll back.
schemaVersion: 1
policies: {}
sites: {}
