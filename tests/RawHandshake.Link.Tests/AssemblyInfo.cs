// Live tests create network namespaces, measure process CPU time during waits and install nft tables named after this
// process (one per namespace): run the tests of this assembly one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
