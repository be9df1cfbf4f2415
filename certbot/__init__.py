"""certbot: security advisories matched to each Norwegian municipality's software, delivered in
bokmål (or English) with a deadline. The package map is in the README, "From feed to message".
"""
