<?xml version='1.0'?>
<!--
 pchat - Persistent Chat (XCCOS) service for Kamailio

 Copyright (C) 2026 pchat developers

 This file is part of pchat, a module for Kamailio, a free SIP server.

 pchat is free software; you can redistribute it and/or modify it under the
 terms of the GNU General Public License as published by the Free Software
 Foundation; either version 2 of the License, or (at your option) any later
 version.

 The stylesheet for modules/*/README: Kamailio's doc/docbook/readme.xsl with
 the txt.xsl, html.common.xsl and common.xsl it imports folded into one file
 (same parameters, same screen normalisation), on Debian's docbook-xsl.
-->
<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">

	<!-- Resolved to Debian's docbook-xsl by /etc/xml/catalog: no network. -->
	<xsl:import href="http://docbook.sourceforge.net/release/xsl/current/xhtml/docbook.xsl"/>

	<xsl:output method="xml"/>

	<!-- html.common.xsl -->
	<xsl:param name="html.cleanup" select="1"/>
	<xsl:param name="css.decoration">0</xsl:param>
	<xsl:param name="html.longdesc">0</xsl:param>
	<xsl:param name="ulink.target"/>
	<xsl:param name="use.viewport">0</xsl:param>

	<!-- txt.xsl: every subsection in the toc, which only the first section has -->
	<xsl:param name="toc.section.depth">4</xsl:param>
	<xsl:param name="generate.section.toc.level">1</xsl:param>

	<!-- readme.xsl -->
	<xsl:param name="section.autolabel">1</xsl:param>
	<xsl:param name="section.label.includes.component.label">1</xsl:param>
	<xsl:param name="generate.toc">book toc,title,figure,table,example</xsl:param>

	<!-- common.xsl: screens and program listings lose the line feeds before
	     their first line and the white space after their last one, so the
	     indentation of the XML source does not show in the README. -->
	<xsl:template match="screen/text()|literallayout/text()|programlisting/text()">
		<xsl:variable name="before" select="preceding-sibling::node()"/>
		<xsl:variable name="after" select="following-sibling::node()"/>
		<xsl:variable name="contsl">
			<xsl:choose>
				<xsl:when test="count($before) = 0">
					<xsl:call-template name="remove-lf-left">
						<xsl:with-param name="astr" select="."/>
					</xsl:call-template>
				</xsl:when>
				<xsl:otherwise>
					<xsl:value-of select="."/>
				</xsl:otherwise>
			</xsl:choose>
		</xsl:variable>
		<xsl:choose>
			<xsl:when test="count($after) = 0">
				<xsl:call-template name="remove-ws-right">
					<xsl:with-param name="astr" select="$contsl"/>
				</xsl:call-template>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$contsl"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template name="remove-lf-left">
		<xsl:param name="astr"/>
		<xsl:choose>
			<xsl:when test="starts-with($astr, '&#xA;') or starts-with($astr, '&#xD;')">
				<xsl:call-template name="remove-lf-left">
					<xsl:with-param name="astr" select="substring($astr, 2)"/>
				</xsl:call-template>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$astr"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template name="remove-ws-right">
		<xsl:param name="astr"/>
		<xsl:variable name="last" select="substring($astr, string-length($astr), 1)"/>
		<xsl:choose>
			<xsl:when test="$last = '&#xA;' or $last = '&#xD;' or $last = '&#x20;' or $last = '&#x9;'">
				<xsl:call-template name="remove-ws-right">
					<xsl:with-param name="astr" select="substring($astr, 1, string-length($astr) - 1)"/>
				</xsl:call-template>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$astr"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>

</xsl:stylesheet>
